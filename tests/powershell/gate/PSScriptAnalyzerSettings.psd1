# PSScriptAnalyzer settings for the WslPortProxy module and entry scripts (runtime/). The
# windows workflow runs Invoke-ScriptAnalyzer with them; PSScriptAnalyzer is not obtainable on the
# project's Linux machines, where tests/powershell/gate/Gate.ps1 checks the same rules.
@{
    Severity            = @('Error', 'Warning', 'Information')
    IncludeDefaultRules = $true
    Rules               = @{
        PSUseCompatibleSyntax      = @{ Enable = $true; TargetVersions = @('5.1', '7.4') }
        PSAvoidLongLines           = @{ Enable = $true; MaximumLineLength = 120 }
        PSPlaceOpenBrace           = @{ Enable = $true; OnSameLine = $true; NewLineAfter = $true }
        PSUseConsistentIndentation = @{ Enable = $true; IndentationSize = 4; Kind = 'space' }
        PSProvideCommentHelp       = @{ Enable = $true; ExportedOnly = $false; BlockComment = $true; Placement = 'begin' }
    }
}
