// page-create
