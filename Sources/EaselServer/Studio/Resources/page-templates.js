// page-templates
