"""Rotas, the CP-SAT solver and the gap filler."""
