"""The input widgets of the forms, one module per kind of input.

They exist rather than stock widgets because each keeps something the stock one
loses: "unknown" apart from 0 (``counts``), the precision of a time
(``moments``), what was typed into a time zone or country combo (``places``).
"""
