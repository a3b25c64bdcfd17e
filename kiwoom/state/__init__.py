"""State that several workers must share: cached results, the token, the rate budget, the breaker."""
