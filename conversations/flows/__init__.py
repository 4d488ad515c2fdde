"""The MUS flows. Each module handles one part of the process and returns a `Reply`."""
