// page-batches
