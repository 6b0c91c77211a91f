<#
    What PowerShell itself decides: execution policy, signatures, blocked files, module autoloading, the
    credential prompt.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:Get-ExecutionPolicy {
    <#
        The policy of one scope. Group Policy sets MachinePolicy and UserPolicy, which outrank
        -ExecutionPolicy Bypass (Microsoft Docs, about_Execution_Policies); policy.json
        {MachinePolicy: 'AllSigned'} sets them, every other scope is Undefined.
    #>
    [CmdletBinding()] param([string] $Scope)
    $policies = Read-SimState 'policy.json' @{}
    if ($Scope -and $policies.ContainsKey($Scope)) { return $policies[$Scope] }
    return 'Undefined'
}

function global:Get-AuthenticodeSignature {
    <#
        Valid for a file that carries a signature block ('# SIG # Begin signature block', Microsoft Docs,
        about_Signing), NotSigned otherwise. The simulation trusts any block: whether a real
        signature validates is Windows' business and unverified here.
    #>
    [CmdletBinding()] param([string] $FilePath)
    $status = 'NotSigned'
    if ((Get-Content -LiteralPath $FilePath -Raw) -match '# SIG # Begin signature block') { $status = 'Valid' }
    return [pscustomobject]@{ Path = $FilePath; Status = $status }
}

function global:Unblock-File {
    <#
        Removes the Zone.Identifier stream that a download, or a copy out of a zip or from a share,
        leaves on a file (Microsoft Docs, Unblock-File); under RemoteSigned a blocked script does
        not run. The simulation records each file unblocked.
    #>
    [CmdletBinding(SupportsShouldProcess)] param([string] $LiteralPath)
    Add-SimCall "Unblock-File $LiteralPath"
}

function global:Add-SimModuleLoad {
    <#
        What Windows PowerShell does the first time a command of a module that is not loaded runs: it
        imports the first module of that name found in the folders of $env:PSModulePath, in order
        (about_Modules, "Module autoloading"; about_PSModulePath: the account's own
        Documents\WindowsPowerShell\Modules comes first, and the account can set PSModulePath itself).
        The stand-ins are functions, so nothing is imported here: a module of that name in a folder
        outside $PSHOME that comes first is recorded as 'module <name> <folder>' in calls.log.
    #>
    param([Parameter(Mandatory)] [string] $Module)
    foreach ($folder in @("$env:PSModulePath".Split([System.IO.Path]::PathSeparator) | Where-Object { $_ })) {
        if (-not (Test-Path -LiteralPath (Join-Path $folder $Module) -PathType Container)) { continue }
        if (-not $folder.StartsWith($PSHOME)) {
            Add-Content -LiteralPath (Join-Path $global:WslppSim.State 'calls.log') -Value "module $Module $folder"
        }
        return
    }
}

function global:Get-Credential {
    <#
        The admin at the prompt: credential.json holds what they type (Password; UserName when they
        overwrite the proposed one). Without it the prompt is cancelled ($null), as Get-Credential
        returns when the dialog is closed. Each prompt is recorded with the account it proposed.
    #>
    [CmdletBinding()] param([string] $UserName, [string] $Message)
    Add-SimCall "Get-Credential $UserName"
    $typed = Read-SimState 'credential.json' $null
    if ($null -eq $typed) { return $null }
    $user = $UserName
    if ($typed.ContainsKey('UserName')) { $user = $typed.UserName }
    $secure = ConvertTo-SecureString -String $typed.Password -AsPlainText -Force
    return New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList $user, $secure
}
