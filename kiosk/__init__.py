"""kiosk node (see its issue); nothing here yet."""
