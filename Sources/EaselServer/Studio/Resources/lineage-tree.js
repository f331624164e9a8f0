// lineage-tree
