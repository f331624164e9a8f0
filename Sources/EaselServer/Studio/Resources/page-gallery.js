// page-gallery
