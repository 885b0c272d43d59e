"""The Curtois & Qu shift scheduling benchmark: instance reader, checker and solver command."""
