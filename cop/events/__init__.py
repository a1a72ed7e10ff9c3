"""Community meetings: scheduling, RSVPs, notes and iCalendar feeds."""
