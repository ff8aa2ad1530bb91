"""control: emotion spec -> AU intensities per side (the LES action subspace, in AU units)."""
