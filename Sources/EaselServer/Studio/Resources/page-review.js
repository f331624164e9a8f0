// page-review
