// page-admin
