"""District reports over collected as-run logs (DuckDB over the store's Parquet copy).

    connection     the DuckDB connection: minutes/events views, stations, scope, day states,
                   what the store set aside
    summary        sessions and minutes for the city, per district, per commune, per day
    station        one station day by day: planned, aired, not aired, the day's log
    compliance     the plan (cached by what it depends on) against what aired
    policy_check   the policy on what aired, through radiocli.plan.policy.check
    model, words   what a report says (tables with typed columns), in which words
    spreadsheet    CSV and the Excel annex (openpyxl)
    page, mapping  the HTML page with its inline SVG map and charts (and the map's PNG)
    document       the Word document to sign (python-docx, Decree 30/2020/NĐ-CP layout)
    settings       who issues and signs, from the home's config.yaml
    cells, numbers, files   safe cell text, Vietnamese numbers, atomic writes
"""
