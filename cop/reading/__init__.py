"""Reading state: what each person has read of each thread, unread markers, Unread and New lists."""
