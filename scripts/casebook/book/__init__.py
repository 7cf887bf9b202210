"""The 案例汇编 (PDF with Typst, Word with python-docx) from the index. Imports only core."""
