"""Reading uploaded documents and checking them against the checklist.

`content` reads PDF, DOCX, XLSX and CSV within size limits; `checks` holds the content checks
a rule file names; `matching` decides which checklist item a file is; `assessment` puts these
together for one file; `records` is what is stored (and the `ChecklistStore` port); `state`
builds the checklist from it; `text` has the shared word and date handling. The service the
adapters use is `inspection.checklist.InspectionChecklist`.
"""
