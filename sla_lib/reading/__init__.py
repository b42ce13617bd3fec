"""Reading the input tables, by job: :mod:`.specs` (what the tables are: data only),
:mod:`.sheets` (CSV and workbook files to frames of text), :mod:`.cells` (text cells to
typed values), :mod:`.checks` (pandera validation, unique ids, set aside or reject) and
:mod:`.parquet` (Parquet tables, by month). :mod:`sla_lib.data` puts them together
(``load_table``, ``load_dataset``); the names with a leading underscore are private to
this package."""
