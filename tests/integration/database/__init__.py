"""The database held to MongoDB's single-document atomicity when processes race on one document."""
