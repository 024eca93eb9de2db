"""Model stage: verify and load SOLAR (or any Llama-family model) from a local directory; the tiny stand-in."""
