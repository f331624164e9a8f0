// page-compare
