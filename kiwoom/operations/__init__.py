"""Pure pieces of each client operation: input validation, decoding TR bodies into results,
the seed's sample data, and stock search. Nothing here does I/O.
"""
