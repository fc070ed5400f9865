"""The platform clocks (SPEC §8): token refresh and incremental order sync (CON-02, CON-03)."""
