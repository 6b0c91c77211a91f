<#
    The project's own PowerShell gate (PSScriptAnalyzer cannot be installed here; the Windows
    workflow also runs it, with tests/powershell/gate/PSScriptAnalyzerSettings.psd1).

    Get-GateViolation parses one file and returns a [pscustomobject] per violation (Rule, Line,
    Text). Module files (-Kind Module) and entry scripts (-Kind Entry) share most rules; each rule
    has a fixture in fixtures/ (beside this file) that breaks it, and Gate.Tests.ps1 checks that
    the gate flags it.

    Rules: ParseError, SevenOnlySyntax, Encoding, LineLength, CmdletBinding, OutputType, Help,
    ShouldProcess, ScriptScopeRead, ParameterAssigned, ApprovedVerb, Alias, WriteHost, NativeCall, ErrorId,
    EntryScript.
#>

Set-StrictMode -Version Latest

# Verbs PSScriptAnalyzer's PSUseShouldProcessForStateChangingFunctions checks, plus the other
# verbs of this module that change the system.
$script:GateStateChangingVerbs = @('New', 'Set', 'Remove', 'Start', 'Stop', 'Restart', 'Reset', 'Update',
    'Install', 'Uninstall', 'Register', 'Unregister', 'Sync', 'Save', 'Protect', 'Copy', 'Add', 'Clear',
    'Enable', 'Disable', 'Move', 'Rename')

# Automatic and preference variables a function may read without declaring them.
$script:GateAutomaticVariables = @('_', 'PSItem', 'true', 'false', 'null', 'PSCmdlet', 'PSBoundParameters',
    'MyInvocation', 'args', 'input', 'LASTEXITCODE', 'Matches', 'ErrorActionPreference', 'WhatIfPreference',
    'VerbosePreference', 'ConfirmPreference', 'WarningPreference', 'InformationPreference',
    'DebugPreference', 'PSScriptRoot', 'PSCommandPath', 'ExecutionContext', 'Host', 'PID', 'this',
    'foreach', 'Error', 'PSVersionTable')

# Windows PowerShell's default aliases that PowerShell on Linux does not define (so Get-Alias here
# cannot see them).
$script:GateWindowsAliases = @('ac', 'cat', 'clear', 'cls', 'compare', 'cp', 'cpp', 'diff', 'kill', 'ls',
    'man', 'mount', 'mv', 'ps', 'rm', 'rmdir', 'sleep', 'sort', 'start', 'tee', 'type', 'write')

function New-GateViolation {
    param([string] $Rule, [System.Management.Automation.Language.IScriptExtent] $Extent, [string] $Text)
    $line = 0
    if ($null -ne $Extent) { $line = $Extent.StartLineNumber }
    [pscustomobject]@{ Rule = $Rule; Line = $line; Text = $Text }
}

function Find-SevenOnlySyntax {
    <# Syntax that Windows PowerShell 5.1 cannot parse or run. #>
    param([System.Management.Automation.Language.Ast] $Ast)
    $Ast.FindAll({
            param($node)
            $type = $node.GetType().Name
            ($type -in 'TernaryExpressionAst', 'PipelineChainAst') -or
            ($type -eq 'BinaryExpressionAst' -and "$($node.Operator)" -eq 'QuestionQuestion') -or
            ($type -eq 'AssignmentStatementAst' -and "$($node.Operator)" -eq 'QuestionQuestionEquals') -or
            ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) -or
            ($type -eq 'CommandParameterAst' -and $node.ParameterName -in 'Parallel', 'AsHashtable', 'AdditionalChildPath', 'AsByteStream', 'SkipLimitCheck') -or
            ($type -eq 'StringConstantExpressionAst' -and $node.Value -in 'utf8NoBOM', 'utf8BOM')
        }, $true)
}

function Get-FunctionAttribute {
    <# The attributes of a function's param block whose type name is Name. #>
    param($Function, [string] $Name)
    $block = $Function.Body.ParamBlock
    if ($null -eq $block) { return @() }
    @($block.Attributes | Where-Object { $_.TypeName.Name -eq $Name -or $_.TypeName.Name -like "*.$Name" -or $_.TypeName.Name -eq "${Name}Attribute" })
}

function Test-ShouldProcessWaived {
    <# A SuppressMessage for PSUseShouldProcessForStateChangingFunctions with a justification. #>
    param($Function)
    foreach ($attribute in @(Get-FunctionAttribute $Function 'SuppressMessageAttribute') + @(Get-FunctionAttribute $Function 'SuppressMessage')) {
        $positional = @($attribute.PositionalArguments | ForEach-Object { $_.SafeGetValue() })
        $justification = @($attribute.NamedArguments | Where-Object { $_.ArgumentName -eq 'Justification' })
        if ($positional -contains 'PSUseShouldProcessForStateChangingFunctions' -and $justification.Count -eq 1 -and
            "$($justification[0].Argument.SafeGetValue())".Length -gt 10) {
            return $true
        }
    }
    return $false
}

function Get-DeclaredVariable {
    <# Names a function may read: its parameters, nested script blocks' parameters, and what it assigns. #>
    param($Function)
    $names = @()
    $names += @($Function.FindAll({ param($n) $n -is [System.Management.Automation.Language.ParameterAst] }, $true) |
            ForEach-Object { $_.Name.VariablePath.UserPath })
    foreach ($assignment in $Function.FindAll({ param($n) $n -is [System.Management.Automation.Language.AssignmentStatementAst] }, $true)) {
        $names += @($assignment.Left.FindAll({ param($n) $n -is [System.Management.Automation.Language.VariableExpressionAst] }, $true) |
                ForEach-Object { $_.VariablePath.UserPath })
    }
    $names += @($Function.FindAll({ param($n) $n -is [System.Management.Automation.Language.ForEachStatementAst] }, $true) |
            ForEach-Object { $_.Variable.VariablePath.UserPath })
    return $names
}

function Get-FunctionViolation {
    param($Function, [string[]] $Exported, [string[]] $Constant)
    $name = $Function.Name
    if (@(Get-FunctionAttribute $Function 'CmdletBinding').Count -eq 0) {
        New-GateViolation 'CmdletBinding' $Function.Extent "$name has no [CmdletBinding()]"
    }
    if (@(Get-FunctionAttribute $Function 'OutputType').Count -eq 0) {
        New-GateViolation 'OutputType' $Function.Extent "$name has no [OutputType()]"
    }
    $help = $Function.GetHelpContent()
    if ($null -eq $help -or -not $help.Synopsis) {
        New-GateViolation 'Help' $Function.Extent "$name has no comment-based help with .SYNOPSIS"
    }
    elseif ($Exported -contains $name) {
        if (-not $help.Description -or $help.Examples.Count -eq 0) {
            New-GateViolation 'Help' $Function.Extent "$name is exported: its help needs .DESCRIPTION and .EXAMPLE"
        }
        $parameters = @()
        if ($null -ne $Function.Body.ParamBlock) { $parameters = @($Function.Body.ParamBlock.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath }) }
        foreach ($parameter in $parameters) {
            if (-not $help.Parameters.ContainsKey($parameter.ToUpperInvariant())) {
                New-GateViolation 'Help' $Function.Extent "$name is exported: its help has no .PARAMETER $parameter"
            }
        }
    }
    $verb = $name.Split('-')[0]
    if (@(Get-Verb | ForEach-Object { $_.Verb }) -notcontains $verb) {
        New-GateViolation 'ApprovedVerb' $Function.Extent "$name does not use an approved verb"
    }
    $binding = @(Get-FunctionAttribute $Function 'CmdletBinding')
    $shouldProcess = $binding.Count -gt 0 -and @($binding[0].NamedArguments | Where-Object { $_.ArgumentName -eq 'SupportsShouldProcess' }).Count -gt 0
    if ($verb -in $script:GateStateChangingVerbs -and -not $shouldProcess -and -not (Test-ShouldProcessWaived $Function)) {
        New-GateViolation 'ShouldProcess' $Function.Extent "$name changes state ($verb) but has no SupportsShouldProcess"
    }
    $parameters = @()
    if ($null -ne $Function.Body.ParamBlock) { $parameters = @($Function.Body.ParamBlock.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath }) }
    foreach ($assignment in $Function.Body.FindAll({ param($n) $n -is [System.Management.Automation.Language.AssignmentStatementAst] -or $n -is [System.Management.Automation.Language.ForEachStatementAst] }, $true)) {
        $target = if ($assignment -is [System.Management.Automation.Language.ForEachStatementAst]) { $assignment.Variable } else { $assignment.Left }
        # The variable itself is rebound ($x = / [int] $x = / $a, $b =); $x.Member = and $x[i] = are not.
        $targets = @($target)
        if ($target -is [System.Management.Automation.Language.ConvertExpressionAst]) { $targets = @($target.Child) }
        if ($target -is [System.Management.Automation.Language.ArrayLiteralAst]) { $targets = @($target.Elements) }
        foreach ($variable in @($targets | Where-Object { $_ -is [System.Management.Automation.Language.VariableExpressionAst] })) {
            if ($parameters -contains $variable.VariablePath.UserPath) {   # -contains ignores case, as PowerShell's names do
                New-GateViolation 'ParameterAssigned' $variable.Extent "$name assigns to its parameter `$$($variable.VariablePath.UserPath) (names ignore case: use another local)"
            }
        }
    }
    $declared = Get-DeclaredVariable $Function
    foreach ($variable in $Function.Body.FindAll({ param($n) $n -is [System.Management.Automation.Language.VariableExpressionAst] }, $true)) {
        $path = $variable.VariablePath
        if ($path.IsScript) {
            $bare = $path.UserPath.Substring($path.UserPath.IndexOf(':') + 1)
            if ($Constant -notcontains $bare) {
                New-GateViolation 'ScriptScopeRead' $variable.Extent "$name reads `$script:$bare, which is not a documented constant"
            }
        }
        elseif ($path.IsGlobal) {
            New-GateViolation 'ScriptScopeRead' $variable.Extent "$name reads the global variable $($variable.Extent.Text)"
        }
        elseif (-not $path.IsDriveQualified -and $declared -notcontains $path.UserPath -and $script:GateAutomaticVariables -notcontains $path.UserPath) {
            New-GateViolation 'ScriptScopeRead' $variable.Extent "$name reads `$$($path.UserPath), which is neither a parameter nor assigned in it"
        }
    }
    foreach ($throw in $Function.Body.FindAll({ param($n) $n -is [System.Management.Automation.Language.ThrowStatementAst] }, $true)) {
        $text = "$($throw.Pipeline)"
        $rethrow = $text -match '^\$\w+$'
        $failure = $text -match '^\(New-Failure\b'
        $caught = $null -ne $throw.Parent -and $null -ne (Find-Ancestor $throw 'TryStatementAst' $Function)
        if (-not ($rethrow -or $failure -or ($caught -and $text))) {
            New-GateViolation 'ErrorId' $throw.Extent "$name throws without an ErrorId (use New-Failure): $($throw.Extent.Text)"
        }
    }
}

function Find-Ancestor {
    param($Ast, [string] $TypeName, $Stop)
    $node = $Ast.Parent
    while ($null -ne $node -and $node -ne $Stop) {
        if ($node.GetType().Name -eq $TypeName) { return $node }
        $node = $node.Parent
    }
    return $null
}

function Get-EntryViolation {
    param($Ast, [string[]] $Lines)
    if ($Lines.Count -gt 80) {
        New-GateViolation 'EntryScript' $null "an entry script has $($Lines.Count) lines (at most 80, help included)"
    }
    $help = $Ast.GetHelpContent()
    if ($null -eq $help -or -not $help.Synopsis -or $help.Examples.Count -eq 0) {
        New-GateViolation 'EntryScript' $null 'an entry script needs comment-based help with .SYNOPSIS and .EXAMPLE'
    }
    if ($null -eq $Ast.ParamBlock -or -not ($Ast.ParamBlock.Attributes.Extent.Text -match '^\[CmdletBinding\(')) {
        New-GateViolation 'EntryScript' $null 'an entry script needs [CmdletBinding(...)] on its param block'
    }
    foreach ($required in "(?m)^Set-StrictMode -Version Latest$", "(?m)^\`$ErrorActionPreference = 'Stop'$",
        "Join-Path -Path \`$PSScriptRoot -ChildPath 'WslPortProxy'") {
        if ($Ast.Extent.Text -notmatch $required) {
            New-GateViolation 'EntryScript' $null "an entry script must contain: $required"
        }
    }
}

function Get-SnippetViolation {
    <#
        A snippet (runtime/fleet/files: what Ansible and Invoke-Command -FilePath run on a server)
        calls a bundle's entry script with &, so it must read $LASTEXITCODE, and it needs the help,
        [CmdletBinding()] and strict mode of an entry script.
    #>
    param($Ast)
    $help = $Ast.GetHelpContent()
    if ($null -eq $help -or -not $help.Synopsis) {
        New-GateViolation 'Snippet' $null 'a snippet needs comment-based help with .SYNOPSIS'
    }
    if ($null -eq $Ast.ParamBlock -or -not ($Ast.ParamBlock.Attributes.Extent.Text -match '^\[CmdletBinding\(')) {
        New-GateViolation 'Snippet' $null 'a snippet needs [CmdletBinding()] on its param block'
    }
    foreach ($required in "(?m)^Set-StrictMode -Version Latest$", '\$code = \$LASTEXITCODE') {
        if ($Ast.Extent.Text -notmatch $required) {
            New-GateViolation 'Snippet' $null "a snippet must contain: $required"
        }
    }
}

function Get-GateViolation {
    <# Every violation of the gate's rules in one file. #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [ValidateSet('Module', 'Entry', 'Snippet')] [string] $Kind = 'Module',
        [string[]] $Exported = @(),
        [string[]] $Constant = @()
    )
    $bytes = [System.IO.File]::ReadAllBytes($Path)
    $text = [System.Text.Encoding]::ASCII.GetString($bytes)
    if (@($bytes | Where-Object { $_ -gt 127 }).Count -gt 0 -or $text.Contains("`r")) {
        New-GateViolation 'Encoding' $null 'a static file must be pure ASCII with LF line ends (it ships byte for byte)'
    }
    $lines = $text.TrimEnd("`n").Split("`n")
    for ($index = 0; $index -lt $lines.Count; $index++) {
        if ($lines[$index].Length -gt 120) {
            New-GateViolation 'LineLength' $null "line $($index + 1) has $($lines[$index].Length) characters (at most 120)"
        }
    }
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref] $tokens, [ref] $errors)
    foreach ($parseError in @($errors)) {
        New-GateViolation 'ParseError' $parseError.Extent $parseError.Message
    }
    foreach ($node in @(Find-SevenOnlySyntax -Ast $ast)) {
        New-GateViolation 'SevenOnlySyntax' $node.Extent "PowerShell 7-only: $($node.Extent.Text)"
    }
    $aliases = @(Get-Alias | ForEach-Object { $_.Name }) + $script:GateWindowsAliases
    foreach ($command in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)) {
        $commandName = $command.GetCommandName()
        if ($commandName -and $aliases -contains $commandName) {
            New-GateViolation 'Alias' $command.Extent "alias $commandName"
        }
        if ($commandName -eq 'Write-Host') {
            New-GateViolation 'WriteHost' $command.Extent 'Write-Host: write objects, warnings or information instead'
        }
        if ($command.InvocationOperator -eq 'Ampersand' -and $Kind -ne 'Snippet') {
            $function = Find-Ancestor $command 'FunctionDefinitionAst' $null
            if ($null -eq $function -or $function.Name -ne 'Invoke-NativeCommand' -or $function.Body.Extent.Text -notmatch 'LASTEXITCODE') {
                New-GateViolation 'NativeCall' $command.Extent 'run programs only through Invoke-NativeCommand, which checks $LASTEXITCODE'
            }
        }
    }
    if ($Kind -eq 'Entry') {
        Get-EntryViolation -Ast $ast -Lines $lines
        return
    }
    if ($Kind -eq 'Snippet') {
        Get-SnippetViolation -Ast $ast
        return
    }
    foreach ($function in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true)) {
        Get-FunctionViolation -Function $function -Exported $Exported -Constant $Constant
    }
}

function Get-ModuleConstant {
    <#
        The documented constants: the names WslPortProxy.psm1 makes with New-Variable @constant, where
        $constant makes a script-scope constant whatever the caller's -WhatIf or -Confirm.
    #>
    param([Parameter(Mandatory)] [string] $ModuleFile)
    $text = Get-Content -LiteralPath $ModuleFile -Raw
    if (-not $text.Contains("`n`$constant = @{ Scope = 'Script'; Option = 'Constant'; WhatIf = `$false; Confirm = `$false }`n")) { return @() }
    @([regex]::Matches($text, "New-Variable @constant -Name '(\w+)'") | ForEach-Object { $_.Groups[1].Value })
}

function Get-AssertionlessTest {
    <# The It blocks of a Pester file whose script block calls no Should: a test that cannot fail. #>
    param([Parameter(Mandatory)] [System.Management.Automation.Language.Ast] $Ast)
    foreach ($command in $Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'It' }, $true)) {
        $body = @($command.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.ScriptBlockExpressionAst] }) | Select-Object -Last 1
        $asserts = $null -ne $body -and $null -ne $body.Find({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'Should' }, $true)
        if (-not $asserts) {
            New-GateViolation 'NoAssertion' $command.Extent "It $($command.CommandElements[1].Extent.Text) calls no Should"
        }
    }
}
