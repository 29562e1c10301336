"""The EDA story: statistics, rule-generated findings, data-quality alerts, segments, charts and the HTML report.

Nothing here imports streamlit; ``src/ui/eda_widgets.py`` draws what these modules compute.
"""
