Attribute VB_Name = "AopRibbon"
Option Explicit

' Callbacks of the AOP ribbon tab (ribbon.xml). Each button runs one Python function of
' aop_xl.xl.macros through xlwings' RunPython; the function works on the active workbook.

Public Sub AopBuildWorkbook(control As IRibbonControl)
    RunPython "import aop_xl.xl.macros as m; m.build_workbook()"
End Sub

Public Sub AopRecalculateSplits(control As IRibbonControl)
    RunPython "import aop_xl.xl.macros as m; m.recalculate_splits()"
End Sub

Public Sub AopValidateWorkbook(control As IRibbonControl)
    RunPython "import aop_xl.xl.macros as m; m.validate_workbook()"
End Sub

Public Sub AopCommissionStatements(control As IRibbonControl)
    RunPython "import aop_xl.xl.macros as m; m.commission_statements()"
End Sub

Public Sub AopRefreshKpis(control As IRibbonControl)
    RunPython "import aop_xl.xl.macros as m; m.refresh_kpis()"
End Sub

Public Sub AopReconcilePlan(control As IRibbonControl)
    RunPython "import aop_xl.xl.macros as m; m.reconcile_plan()"
End Sub

Public Sub AopExportSummaryPdf(control As IRibbonControl)
    RunPython "import aop_xl.xl.macros as m; m.export_summary_pdf()"
End Sub
