"""KRX reference data that both the client and the fake use: the trading calendar and sessions, and
the listings (``listings.csv``: 361 real KOSPI, KOSDAQ, ETF and ETN listings, read by ``fake_kiwoom.listings``).

It sits below both packages and imports neither, so ``fake_kiwoom`` needs nothing from
``kiwoom`` and ``kiwoom`` only reaches the fake through its embedded sandbox.
"""
