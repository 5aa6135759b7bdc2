"""Reading uploaded documents and checking their content (issue 4).

`content` reads PDF, DOCX, XLSX and CSV within size limits; `checks` holds the content checks
a rule file names; `matching` decides which checklist item a file is; `text` has the shared
word and date handling.
"""
