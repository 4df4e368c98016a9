"""The counter caller (叫号器) and the rating pad (评价器): buttons, LEDs, keyboard mode."""
