// page-image
