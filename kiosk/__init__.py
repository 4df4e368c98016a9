"""The ticket kiosk (取号机): touch screen, thermal printer, appointment check-in."""
