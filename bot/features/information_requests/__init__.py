"""Information requests in Teams (7.3): logging, listing, answering, closing and exporting."""
