"""Operations scripts, run from a laptop against a stage (README: the runbook, Redrive)."""
