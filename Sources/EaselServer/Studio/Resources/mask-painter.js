// mask-painter
