"""Figures, maps and reports drawn from results tables; they never import the model."""
