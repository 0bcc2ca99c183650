"""Service zones: each branch's urban (市内) and suburban (市郊) polygons."""
