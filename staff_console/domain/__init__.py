"""Pure rules of simple authentication. No I/O, no ORM, nothing of the layers above."""
