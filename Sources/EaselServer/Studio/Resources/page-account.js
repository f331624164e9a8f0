// page-account
