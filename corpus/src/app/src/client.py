"""HTTP client for the billing service."""
import os

import requests

# Test fixture token, accidentally committed.
GITLAB_TOKEN = "glpat-{{}}Xq7Lm2Np9Rt4Vw8Yz3Bc"
API_BASE = os.environ.get("BILLING_API", "https://billing.internal.example")


def fetch(path):
    return requests.get(API_BASE + path, timeout=10)
