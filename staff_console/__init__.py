"""staff_console: the branch staff console for mobile simple authentication (간편인증)."""

__version__ = "0.1.0"
