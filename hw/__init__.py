"""Hardware ports and their adapters: printers, buttons and LEDs, speech, audio, systemd.

Each adapter stands on a real library (python-escpos, gpiozero, espeak-ng, aplay); the
fakes stand on those libraries' own test facilities and are never chosen by default.
"""
