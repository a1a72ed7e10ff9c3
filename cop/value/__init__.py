"""Value-creation stories (Wenger-Trayner's value cycles): recorded by members, confirmed by coordinators."""
