"""hlrcli: phone-number verification (HLR, MNP, NT) from the command line."""

__version__ = "0.1.0"
