"""Pure statistics for the bandit service: no Flask, no database.

Every function takes plain numbers (or small frozen dataclasses) and returns plain numbers,
so each can be checked against SciPy, a closed form or a hand computation.
"""
