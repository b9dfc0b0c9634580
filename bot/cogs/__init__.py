"""One cog per feature area; each validates input, calls the index off the loop, renders."""
