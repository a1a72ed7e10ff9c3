"""The shared tag vocabulary used by people, communities and content."""
