"""Fill rates, spend and NHS-retained spend."""
