"""hw node (see its issue); nothing here yet."""
