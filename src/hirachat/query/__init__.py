"""The query floor: a fact, the one Query contract, the executor that runs it, and answer wording."""
