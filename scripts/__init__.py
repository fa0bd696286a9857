"""Operations scripts run from a laptop against a stage (README, "Run it on AWS")."""
