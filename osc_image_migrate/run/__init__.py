"""A whole plan: images in parallel, dependencies first, retries, progress."""
